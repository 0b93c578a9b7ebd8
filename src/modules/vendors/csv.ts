// CSV for the registry's exports: the one formula-neutralising writer lives in the platform (the audit log
// exports with it too).
export { toCsv } from '../../platform/http/csv';
