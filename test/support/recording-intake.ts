import type { EntityManager } from 'typeorm';
import { type IncomingSubjectRequest, SubjectRequestIntake } from '../../src/modules/ledger';

/**
 * A SubjectRequestIntake that records what it receives, for specs of the channels that feed requests (CRM deletion
 * webhooks, polls): handed to the channel by its constructor, in place of the requests module's intake.
 */
export class RecordingIntake extends SubjectRequestIntake {
  readonly received: IncomingSubjectRequest[] = [];

  receive(_manager: EntityManager, request: IncomingSubjectRequest): Promise<{ requestId: string }> {
    this.received.push(request);
    return Promise.resolve({ requestId: `request-${this.received.length}` });
  }
}
