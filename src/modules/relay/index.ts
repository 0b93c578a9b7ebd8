// The relay module's public API: what other modules may use. Everything else is internal.
export { RelayModule } from './relay.module';
export { RelayService } from './relay.service';
