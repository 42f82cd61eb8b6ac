/** The workflow the bench times the Temporal server with: one task, no activity, done. */
export async function trivialWorkflow(): Promise<number> {
  return 1;
}
