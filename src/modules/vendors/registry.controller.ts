import { Controller, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AttentionResponse, RopaResponse } from './dto/registry.responses';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { AttentionService } from './attention.service';
import { RegistryExportService } from './registry-export.service';

function attachment(reply: FastifyReply, type: string, name: string): void {
  void reply
    .header('content-type', type)
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store');
}

const stamp = () => new Date().toISOString().slice(0, 10);

@ApiTags('registry')
@ApiBearerAuth()
@Controller('v1')
export class RegistryController {
  constructor(
    private readonly exports: RegistryExportService,
    private readonly attention: AttentionService,
  ) {}

  /** The Art. 30 record of processing activities, recipients resolved to vendor names (RFC 4180 CSV). */
  @Get('exports/ropa.csv')
  @RequireScopes('registry:read')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'RFC 4180 CSV', schema: { type: 'string' } })
  async ropaCsv(@Res({ passthrough: true }) reply: FastifyReply) {
    const csv = await this.exports.ropaCsv();
    attachment(reply, 'text/csv; charset=utf-8', `ropa-${stamp()}.csv`);
    return csv;
  }

  @Get('exports/ropa.json')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: RopaResponse })
  async ropaJson(@Res({ passthrough: true }) reply: FastifyReply) {
    const ropa = await this.exports.ropa();
    attachment(reply, 'application/json; charset=utf-8', `ropa-${stamp()}.json`);
    return ropa;
  }

  @Get('exports/vendors.csv')
  @RequireScopes('registry:read')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'RFC 4180 CSV', schema: { type: 'string' } })
  async vendorsCsv(@Res({ passthrough: true }) reply: FastifyReply) {
    const csv = await this.exports.vendorsCsv();
    attachment(reply, 'text/csv; charset=utf-8', `vendors-${stamp()}.csv`);
    return csv;
  }

  /**
   * DPAs expiring within 30/60/90 days, incomplete DPAs (and what they lack), vendors without a valid DPA,
   * overdue reviews, incomplete sub-processors.
   */
  @Get('registry/attention')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: AttentionResponse })
  attentionReport() {
    return this.attention.report();
  }
}
