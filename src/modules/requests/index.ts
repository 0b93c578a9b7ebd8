// The requests module's public API: what other modules may use. Everything else is internal.
export { RequestIntakeModule } from './request-intake';
export { RequestsModule } from './requests.module';
