import { Body, Controller, Get, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { ProblemDto } from '../../platform/http/problem.dto';
import { CONTROLLER_FIELDS } from './controller-settings';
import { ControllerSettingsService } from './controller-settings.service';

class ControllerSettingsDto {
  @ApiProperty({ example: 'Acme Retail GmbH' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ example: 'Data Protection Officer, Jane Doe' })
  @IsString()
  @Length(1, 200)
  contact!: string;

  @ApiProperty({ example: 'privacy@acme.example' })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiProperty({ example: 'Hauptstraße 1, 10115 Berlin, Germany' })
  @IsString()
  @Length(1, 500)
  address!: string;

  @ApiPropertyOptional({ nullable: true, example: 'https://acme.example/privacy' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @IsUrl(
    { protocols: ['https', 'http'], require_protocol: true },
    { message: 'privacy_policy_url must be a web address starting with https://' },
  )
  privacy_policy_url?: string | null;
}

export class ControllerSettingsResponse extends ControllerSettingsDto {
  @ApiProperty({ enum: ['saved', 'configuration'], description: 'Saved here, or the CONTROLLER_* defaults.' })
  source!: string;
  @ApiProperty({ description: 'Every field filled in, none a placeholder.' }) complete!: boolean;
  @ApiProperty({ enum: CONTROLLER_FIELDS, isArray: true, description: 'Fields missing or placeholders.' })
  missing!: string[];
}

/**
 * The controller named on consent receipts and access exports. Read by every role (the overview warns while
 * it is a placeholder); changed with registry:write, as the controller heads the Art. 30 record.
 */
@ApiTags('settings')
@ApiBearerAuth()
@Controller('v1/settings/controller')
export class SettingsController {
  constructor(private readonly settings: ControllerSettingsService) {}

  @Get()
  @RequireScopes('overview:read')
  @ApiOkResponse({ type: ControllerSettingsResponse })
  get() {
    return this.settings.status();
  }

  @Put()
  @RequireScopes('registry:write')
  @ApiOkResponse({ type: ControllerSettingsResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  put(@Body() body: ControllerSettingsDto, @Principal() principal: ApiPrincipal) {
    return this.settings.save(
      { ...body, privacy_policy_url: body.privacy_policy_url ?? null },
      principal.name,
    );
  }
}
