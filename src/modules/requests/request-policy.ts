import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/** The deadline and reminder settings requests run by (REQUEST_DUE_SOON_DAYS, REQUEST_TASK_REMINDER_DAYS). */
@Injectable()
export class RequestPolicy {
  readonly dueSoonDays: number;
  readonly taskReminderDays: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.dueSoonDays = config.requests.dueSoonDays;
    this.taskReminderDays = config.requests.taskReminderDays;
  }

  /** When a manual task opened or reminded at `from` is reminded next. */
  nextReminderAfter(from: Date): Date {
    return new Date(from.getTime() + this.taskReminderDays * 86_400_000);
  }
}
