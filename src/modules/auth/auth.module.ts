import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';
import { UserBootstrap } from './user-bootstrap';
import { UserService } from './user.service';
import { UsersController } from './users.controller';

@Module({
  controllers: [ApiKeysController, SessionController, UsersController],
  providers: [
    ApiKeyService,
    UserService,
    SessionService,
    UserBootstrap,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  exports: [ApiKeyService, UserService, SessionService],
})
export class AuthModule {}
