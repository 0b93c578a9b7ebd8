// The auth module's public API: what other modules may use. Everything else is internal.
export { bearerToken } from './api-key.guard';
export { ApiKeyService } from './api-key.service';
export { AuthModule } from './auth.module';
export { SESSION_COOKIE, SessionService, readCookie } from './session.service';
export { UserService } from './user.service';
