import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from './modules/audit';
import { AuthModule } from './modules/auth';
import { ConsoleModule } from './modules/console';
import { ConnectorsModule } from './modules/connectors';
import { PropagationModule } from './modules/propagation';
import { VendorUsageModule } from './modules/propagation';
import { InboxModule } from './modules/inbox';
import { RelayModule } from './modules/relay';
import { LedgerModule } from './modules/ledger';
import { RequestIntakeModule, RequestsModule } from './modules/requests';
import { SettingsModule } from './modules/settings';
import { VendorsModule } from './modules/vendors';
import { WhatsAppModule } from './modules/whatsapp';
import { ProblemFilter } from './platform/http/problem';
import { PlatformModule, type PlatformOptions } from './platform/platform.module';

@Module({})
export class AppModule {
  static register(options: PlatformOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(options),
        AuditModule,
        AuthModule,
        SettingsModule,
        LedgerModule,
        InboxModule,
        RelayModule,
        WhatsAppModule,
        ConnectorsModule,
        PropagationModule,
        // Binds the registry's VendorUsage port (global): the vendors module gets it without importing propagation.
        VendorUsageModule,
        VendorsModule,
        RequestsModule,
        // Binds the ledger's SubjectRequestIntake port (global): WhatsApp and CRM deletions reach the requests module.
        RequestIntakeModule,
        ConsoleModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
