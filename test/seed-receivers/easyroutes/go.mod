module easyroutes-seed-receiver

go 1.22
