import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { loadRequestsConfig } from '../../config/requests-config';

/** The deadline, reminder and retention settings requests run by (config/requests.json, read at boot). */
@Injectable()
export class RequestPolicy {
  readonly dueSoonDays: number;
  readonly taskReminderDays: number;
  readonly inactiveMonths: number;
  readonly inboxRetentionDays: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const requests = loadRequestsConfig(config.requestsConfigPath);
    this.dueSoonDays = requests.dueSoonDays;
    this.taskReminderDays = requests.taskReminderDays;
    this.inactiveMonths = requests.inactiveMonths;
    this.inboxRetentionDays = config.inboxRetentionDays;
  }

  /** When a manual task opened or reminded at `from` is reminded next. */
  nextReminderAfter(from: Date): Date {
    return new Date(from.getTime() + this.taskReminderDays * 86_400_000);
  }
}
