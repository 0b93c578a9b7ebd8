import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { UserListResponse, UserResponse } from './dto/auth.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { IsBoolean, IsIn, IsString, Length } from 'class-validator';
import { uuidParam } from '../../platform/http/problem';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { ROLES, type Role } from './roles';
import { UserService } from './user.service';

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

  @ApiProperty({ minLength: 12 })
  @IsString()
  @Length(12, 256)
  password!: string;
}

class UpdateUserDto {
  @ApiProperty()
  @IsBoolean()
  disabled!: boolean;
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
@RequireScopes('users:admin')
export class UsersController {
  constructor(private readonly users: UserService) {}

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  create(@Body() body: CreateUserDto) {
    return this.users.create(body);
  }

  @Get()
  @ApiOkResponse({ type: UserListResponse })
  async list() {
    return { users: await this.users.list() };
  }

  /** Disabling a user ends their sessions at once. */
  @Patch(':id')
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateUserDto) {
    return this.users.setDisabled(id, body.disabled);
  }
}
