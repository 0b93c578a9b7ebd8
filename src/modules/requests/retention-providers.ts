import { RetentionJob } from './retention-job';
import { RetentionRunner } from './retention-runner';
import { RetentionUpcomingController } from './retention-upcoming.controller';

/** The retention part of the requests module (contract §5): the daily job and "what will be erased when". */
export const RETENTION_CONTROLLERS = [RetentionUpcomingController];
export const RETENTION_PROVIDERS = [RetentionRunner, RetentionJob];
