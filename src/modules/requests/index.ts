// The requests module's public API: what other modules may use. Everything else is internal.
export { RequestIntakeModule } from './request-intake';
export { RequestService } from './request.service';
export { RequestsModule } from './requests.module';
