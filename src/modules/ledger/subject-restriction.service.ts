import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Notifications } from '../../platform/database/notifications';
import { CONSENT_CHANGED_CHANNEL } from './ledger.channels';
import { SubjectRightsRepository } from './subject-rights.repository';

/** Art. 18: while a person's processing is restricted, the consent check answers restricted. */
@Injectable()
export class SubjectRestrictionService {
  constructor(
    private readonly rights: SubjectRightsRepository,
    private readonly notifications: Notifications,
  ) {}

  /**
   * Sets or clears the restriction in the caller's transaction (a merged id restricts the person it became).
   * Returns true when it changed; readers are told on commit.
   */
  async setRestricted(manager: EntityManager, subjectId: string, restricted: boolean): Promise<boolean> {
    const changed = await this.rights.setRestricted(manager, subjectId, restricted);
    if (changed) await this.notifications.notify(manager, CONSENT_CHANGED_CHANNEL, changed);
    return changed !== null;
  }
}
