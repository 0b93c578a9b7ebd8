import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { UserService } from './user.service';

/** First start: when no console user exists, create the admin named by BOOTSTRAP_ADMIN_EMAIL/PASSWORD. */
@Injectable()
export class UserBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserBootstrap.name);

  constructor(
    private readonly users: UserService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.bootstrapAdmin;
    if (!admin || (await this.users.count()) > 0) return;
    await this.users.create({
      email: admin.email,
      name: 'Administrator',
      role: 'admin',
      password: admin.password,
    });
    // The address is personal data: it stays out of the logs (the operator set it, and users:list shows it).
    this.logger.log('first console admin created from BOOTSTRAP_ADMIN_EMAIL');
  }
}
