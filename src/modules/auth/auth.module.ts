import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, SystemClock } from '../../platform/clock/clock';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';
import { ConsoleSessionRepository } from './console-session.repository';
import { ConsoleUserRepository } from './console-user.repository';
import { ApiKeyEntity } from './entities/api-key.entity';
import { ConsoleSessionEntity } from './entities/console-session.entity';
import { ConsoleUserEntity } from './entities/console-user.entity';
import { SessionController } from './session.controller';
import { Passwords } from './password';
import { SessionSweep } from './session-sweep';
import { SessionService } from './session.service';
import { SignInService } from './sign-in.service';
import { UserBootstrap } from './user-bootstrap';
import { UserService } from './user.service';
import { UsersController } from './users.controller';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity, ConsoleUserEntity, ConsoleSessionEntity])],
  controllers: [ApiKeysController, SessionController, UsersController],
  providers: [
    ApiKeyRepository,
    ConsoleUserRepository,
    ConsoleSessionRepository,
    ApiKeyService,
    UserService,
    SessionService,
    SignInService,
    SessionSweep,
    Passwords,
    UserBootstrap,
    { provide: Clock, useClass: SystemClock },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  exports: [ApiKeyService, UserService, SessionService],
})
export class AuthModule {}
