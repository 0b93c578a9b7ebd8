/** Which roles this process plays: the API serves HTTP; the worker processes queues. */
export interface RuntimeRoles {
  api: boolean;
  worker: boolean;
}

export const RUNTIME_ROLES = Symbol('RUNTIME_ROLES');
