/** What the API answers about a bulk import: the commit's 201, and its progress. */
import { z } from 'zod';

export const importSchema = z.object({
  import_id: z.string(),
  status: z.enum(['committed', 'starting', 'completed']),
  count: z.number().int(),
  workflows_started: z.number().int(),
  events_dispatched: z.number().int(),
  created_at: z.string().nullable(),
  committed_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});
export type ImportResource = z.infer<typeof importSchema>;

export const importCreatedSchema = z.object({
  import_id: z.string(),
  count: z.number().int(),
  stops: z.array(z.object({ id: z.string(), external_ref: z.string().nullable(), status: z.string() })),
});
export type ImportCreated = z.infer<typeof importCreatedSchema>;
