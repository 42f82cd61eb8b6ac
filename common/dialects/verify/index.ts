/**
 * What a receiver imports to check a Dispatch Hub delivery, one function per dialect.
 * All comparisons are constant-time.
 */
export { verifyCourrex } from './courrex';
export { verifyEasyRoutes } from './easyroutes';
export { verifyKourier } from './kourier';
export { verifyNaveera } from './naveera';
export { verifyStandard } from './standard';
export { verifyZippex } from './zippex';
