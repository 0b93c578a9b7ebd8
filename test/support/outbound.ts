import { OutboundGuard } from '../../src/platform/http/outbound-guard';

/**
 * The outbound guard for tests that build connectors themselves and call simulators on 127.0.0.1: every port of
 * that host is allow-listed (`127.0.0.1:*`), everything else follows the production rules.
 */
export function sandboxOutbound(): OutboundGuard {
  return new OutboundGuard({ outboundAllowlist: ['127.0.0.1:*'] });
}
