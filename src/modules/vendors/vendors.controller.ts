import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  DpaDetailResponse,
  DpaHistoryResponse,
  EvidencePackResponse,
  SubProcessorListResponse,
  SubProcessorResponse,
  VendorDetailResponse,
  VendorListResponse,
} from './dto/registry.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { uuidParam } from '../../platform/http/problem';
import { Principal, RequireScopes, type ApiPrincipal } from '../../platform/http/auth.decorators';
import { DpaService } from './dpa.service';
import { CREATE_DPA_REQUEST_BODY, readCreateDpa } from './dpa-create.request';
import { CreateDpaDto } from './dto/dpa.dto';
import {
  AddSubProcessorDto,
  CreateVendorDto,
  EvidencePackQueryDto,
  UpdateSubProcessorDto,
  UpdateVendorDto,
  VendorQueryDto,
} from './dto/vendor.dto';
import { RegistryExportService } from './registry-export.service';
import { VendorService } from './vendor.service';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('v1/vendors')
export class VendorsController {
  constructor(
    private readonly vendors: VendorService,
    private readonly dpas: DpaService,
    private readonly exports: RegistryExportService,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('registry:write')
  @ApiCreatedResponse({ type: VendorDetailResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  create(@Body() body: CreateVendorDto) {
    return this.vendors.create(body);
  }

  /** Vendors with their DPA position; filter by role, risk tier, DPA status, connections, or a search. */
  @Get()
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: VendorListResponse })
  list(@Query() query: VendorQueryDto) {
    return this.vendors.list(query);
  }

  /** A vendor with its DPA (current and history), sub-processors, connections and delivery figures. */
  @Get(':id')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: VendorDetailResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.vendors.get(id);
  }

  /** Changes the vendor's facts (null clears one), or archives it / brings it back (`archived`). */
  @Patch(':id')
  @RequireScopes('registry:write')
  @ApiOkResponse({ type: VendorDetailResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateVendorDto) {
    return this.vendors.update(id, body);
  }

  @Post(':id/sub-processors')
  @HttpCode(201)
  @RequireScopes('registry:write')
  @ApiCreatedResponse({ type: SubProcessorListResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  addSubProcessor(@Param('id', uuidParam('id')) id: string, @Body() body: AddSubProcessorDto) {
    return this.vendors.addSubProcessor(id, body);
  }

  /** One sub-processor of the vendor, with what it does and when we were told. */
  @Get(':id/sub-processors/:subId')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: SubProcessorResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  subProcessor(@Param('id', uuidParam('id')) id: string, @Param('subId', uuidParam('subId')) subId: string) {
    return this.vendors.subProcessor(id, subId);
  }

  /** Changes what a sub-processor link records (when notified, objection deadline, service); null clears. */
  @Patch(':id/sub-processors/:subId')
  @RequireScopes('registry:write')
  @ApiOkResponse({ type: SubProcessorResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  updateSubProcessor(
    @Param('id', uuidParam('id')) id: string,
    @Param('subId', uuidParam('subId')) subId: string,
    @Body() body: UpdateSubProcessorDto,
  ) {
    return this.vendors.updateSubProcessor(id, subId, body);
  }

  @Delete(':id/sub-processors/:subId')
  @RequireScopes('registry:write')
  @ApiOkResponse({ type: SubProcessorListResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  removeSubProcessor(
    @Param('id', uuidParam('id')) id: string,
    @Param('subId', uuidParam('subId')) subId: string,
  ) {
    return this.vendors.removeSubProcessor(id, subId);
  }

  /**
   * Records the next version of the vendor's agreement, with its signed document in the same request
   * (multipart/form-data: a `dpa` JSON part and a `document` file part), or its fields alone as JSON. One
   * transaction: a refused document leaves no version. A valid one releases held deliveries.
   */
  @Post(':id/dpas')
  @HttpCode(201)
  @RequireScopes('registry:write')
  @ApiExtraModels(CreateDpaDto)
  @ApiOperation({ requestBody: CREATE_DPA_REQUEST_BODY })
  @ApiCreatedResponse({ type: DpaDetailResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiPayloadTooLargeResponse({ type: ProblemDto })
  @ApiUnsupportedMediaTypeResponse({ type: ProblemDto })
  async createDpa(
    @Param('id', uuidParam('id')) id: string,
    @Req() request: FastifyRequest,
    @Principal() principal: ApiPrincipal | undefined,
  ) {
    const { input, document } = await readCreateDpa(request.body, request.headers['content-type']);
    return this.dpas.create(id, input, principal?.name ?? null, document);
  }

  /** Every version of the vendor's agreement, newest first. */
  @Get(':id/dpas')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: DpaHistoryResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  dpaHistory(@Param('id', uuidParam('id')) id: string) {
    return this.dpas.history(id);
  }

  /** The vendor, its DPA facts (with document hashes) and every delivery to it in the period. */
  @Get(':id/evidence-pack')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: EvidencePackResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  evidencePack(@Param('id', uuidParam('id')) id: string, @Query() query: EvidencePackQueryDto) {
    return this.exports.evidencePack(id, query.from, query.to);
  }
}
