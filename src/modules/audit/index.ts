// The audit module's public API: what other modules may use. Everything else is internal.
export { actorOf } from './audit.interceptor';
export { AuditModule } from './audit.module';
export { AuditService } from './audit.service';
