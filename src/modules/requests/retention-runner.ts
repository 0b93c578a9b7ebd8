import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { loadRequestsConfig } from '../../config/requests-config';
import { Clock } from '../../platform/clock/clock';
import { LedgerReader } from '../ledger';
import { addCalendarMonths } from './deadlines';
import { RequestService } from './request.service';

const BATCH = 100;
const DAY_MS = 86_400_000;

/** One person the retention rule will erase, and from when. */
export interface UpcomingErasure {
  subjectId: string;
  lastActivityAt: Date;
  /** A masked identifier for display (+49 ••• ••• 789), null when none is left. */
  subjectMasked: string | null;
  /** The day the daily job erases them: their last activity plus the period, or today when that has passed. */
  eraseOn: Date;
}

/**
 * The retention rule (config/requests.json `retention.inactive_months`): people with no consent in force and no
 * activity for that many calendar months are erased through an ordinary erasure request (origin retention), so
 * they get the same fan-out to every processor and the same proof as a person who asked.
 */
@Injectable()
export class RetentionRunner {
  private readonly logger = new Logger(RetentionRunner.name);
  readonly inactiveMonths: number;

  constructor(
    private readonly reader: LedgerReader,
    private readonly requests: RequestService,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.inactiveMonths = loadRequestsConfig(config.requestsConfigPath).inactiveMonths;
  }

  /**
   * Files a retention erasure for everyone inactive past the period, one transaction a person (a crash loses
   * at most the person in hand; the request's dedupe key makes a second run file nobody twice). People whose
   * request could not be filed are skipped for the rest of this run and tried again by the next one.
   */
  async run(): Promise<{ requested: number; failed: number }> {
    const since = addCalendarMonths(new Date(this.clock.now()), -this.inactiveMonths);
    const tried = new Set<string>();
    let requested = 0;
    let failed = 0;
    for (;;) {
      // A filed erasure takes the person out of the answer; asking past the ones tried keeps a failure from
      // hiding everyone behind it.
      const batch = (await this.reader.inactivePeople(since, tried.size + BATCH)).filter(
        (p) => !tried.has(p.subjectId),
      );
      if (batch.length === 0) break;
      for (const person of batch) {
        tried.add(person.subjectId);
        try {
          await this.dataSource.transaction((manager) =>
            this.requests.createRetentionErasure(manager, person.subjectId, person.lastActivityAt),
          );
          requested++;
        } catch (error) {
          failed++;
          this.logger.error(
            { subjectId: person.subjectId, err: { message: (error as Error).message } },
            'retention erasure could not be filed',
          );
        }
      }
    }
    if (requested || failed) this.logger.log({ requested, failed }, 'retention run');
    return { requested, failed };
  }

  /** Who the rule will erase within the next `withinDays` days (those already due first), oldest first. */
  async upcoming(withinDays: number, limit: number): Promise<UpcomingErasure[]> {
    const now = this.clock.now();
    const horizon = addCalendarMonths(new Date(now + withinDays * DAY_MS), -this.inactiveMonths);
    const people = await this.reader.inactivePeople(horizon, limit);
    const today = new Date(Math.floor(now / DAY_MS) * DAY_MS);
    const upcoming: UpcomingErasure[] = [];
    for (const person of people) {
      const due = addCalendarMonths(person.lastActivityAt, this.inactiveMonths);
      upcoming.push({
        ...person,
        subjectMasked: await this.reader.maskedIdentifier(person.subjectId),
        eraseOn: due.getTime() < today.getTime() ? today : due,
      });
    }
    return upcoming;
  }
}
