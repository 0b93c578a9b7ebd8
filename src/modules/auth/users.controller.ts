import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiForbiddenResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { CreatedUserResponse, UserListResponse, UserResponse } from './dto/auth.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { IsBoolean, IsIn, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { uuidParam } from '../../platform/http/problem';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { ROLES, type Role } from './roles';
import { UserService, userView } from './user.service';

class CreateUserDto {
  @ApiProperty()
  @IsString()
  @Length(3, 254)
  email!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 120)
  name!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    minLength: 12,
    description:
      'Without it, a temporary password is made and returned once (temporary_password): hand it over in person.',
  })
  @IsOptional()
  @IsString()
  @Length(12, 256)
  password?: string;
}

/** At least one of the two; a role may not be above the caller's (403). */
class UpdateUserDto {
  @ApiPropertyOptional()
  @ValidateIf((o: UpdateUserDto) => o.disabled !== undefined || o.role === undefined)
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
@RequireScopes('users:admin')
export class UsersController {
  constructor(private readonly users: UserService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedUserResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'The role is above the caller’s.' })
  create(@Body() body: CreateUserDto, @Principal() principal: ApiPrincipal) {
    return this.users.createAs(principal.scopes, body);
  }

  @Get()
  @ApiOkResponse({ type: UserListResponse })
  async list() {
    return { users: await this.users.list() };
  }

  @Get(':id')
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  async one(@Param('id', uuidParam('id')) id: string) {
    return userView(await this.users.byId(id));
  }

  /** Disabling a user ends their sessions at once. */
  @Patch(':id')
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiForbiddenResponse({
    type: ProblemDto,
    description: 'The user’s role or the new one is above the caller’s.',
  })
  update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UpdateUserDto,
    @Principal() principal: ApiPrincipal,
  ) {
    return this.users.updateAs(principal.scopes, id, body);
  }

  /** Lifts a sign-in lockout at once (audited like every change). */
  @Post(':id/unlock')
  @HttpCode(200)
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  unlock(@Param('id', uuidParam('id')) id: string) {
    return this.users.unlock(id);
  }
}
