import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { ConsoleModule } from './modules/console/console.module';
import { ConnectorsModule } from './modules/connectors/connectors.module';
import { PropagationModule } from './modules/propagation/propagation.module';
import { VendorUsageModule } from './modules/propagation/vendor-usage.provider';
import { InboxModule } from './modules/inbox/inbox.module';
import { LedgerModule } from './modules/ledger/ledger.module';
import { VendorsModule } from './modules/vendors/vendors.module';
import { WhatsAppModule } from './modules/whatsapp/whatsapp.module';
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
        LedgerModule,
        InboxModule,
        WhatsAppModule,
        ConnectorsModule,
        PropagationModule,
        // Binds the registry's VendorUsage port (global): the vendors module gets it without importing propagation.
        VendorUsageModule,
        VendorsModule,
        ConsoleModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
