/** Every workflow the worker runs. This file is the worker bundle's entry point. */
export { pingWorkflow } from './ping';
export { stopLifecycleWorkflow } from './stop-lifecycle';
