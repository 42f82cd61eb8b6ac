/** The ping workflow's contract: a round trip through a worker and the database. */

export interface PingActivities {
  databaseTime(): Promise<string>;
}

export interface PingResult {
  echo: string;
  database_time: string;
}

export type PingWorkflow = (message: string) => Promise<PingResult>;
