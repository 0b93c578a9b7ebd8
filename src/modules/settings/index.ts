// The settings module's public API: what other modules may use. Everything else is internal.
export { ControllerSettingsService } from './controller-settings.service';
export { SettingsModule } from './settings.module';
