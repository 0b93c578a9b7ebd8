// The whatsapp module's public API: what other modules may use. Everything else is internal.
export { WhatsAppModule } from './whatsapp.module';
export { WamidPseudonymisation } from './wamid-pseudonymisation';
export { serveWhatsAppIntakeDirectly } from './whatsapp-intake.route';
