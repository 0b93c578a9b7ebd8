// The console module's public API: what other modules may use. Everything else is internal.
export { ConsoleModule } from './console.module';
