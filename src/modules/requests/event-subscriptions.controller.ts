import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Principal, RequireScopes, type ApiPrincipal } from '../../platform/http/auth.decorators';
import { uuidParam } from '../../platform/http/problem';
import { ProblemDto } from '../../platform/http/problem.dto';
import { CreateEventSubscriptionDto } from './event-subscription.dto';
import {
  CreatedEventSubscriptionResponse,
  EventDeliveryListResponse,
  EventSubscriptionListResponse,
  EventSubscriptionResponse,
} from './event-subscription.responses';
import { EventSubscriptionService } from './event-subscription.service';
import type { RequestEventType } from './event-types';

/**
 * Automation platforms subscribe to request events (request.created, due_soon, overdue, completed,
 * task_reminder) and receive them as Standard Webhooks, signed with the secret returned once on creation.
 * Changes are audited by the audit interceptor, as every POST and DELETE is.
 */
@ApiTags('event-subscriptions')
@ApiBearerAuth()
@Controller('v1/event-subscriptions')
export class EventSubscriptionsController {
  constructor(private readonly subscriptions: EventSubscriptionService) {}

  /** Subscribes a URL to request events. The signing secret (whsec_...) is in this answer only. */
  @Post()
  @HttpCode(201)
  @RequireScopes('requests:write')
  @ApiCreatedResponse({ type: CreatedEventSubscriptionResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  create(@Body() body: CreateEventSubscriptionDto, @Principal() principal: ApiPrincipal) {
    return this.subscriptions.create(
      { url: body.url, events: body.events as RequestEventType[] },
      principal?.keyId ?? null,
    );
  }

  @Get()
  @RequireScopes('requests:read')
  @ApiOkResponse({ type: EventSubscriptionListResponse })
  list() {
    return this.subscriptions.list();
  }

  /** Stops the subscription; events not yet delivered to it are given up. */
  @Delete(':id')
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: EventSubscriptionResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  remove(@Param('id', uuidParam('id')) id: string) {
    return this.subscriptions.remove(id);
  }

  /** The delivery log: the last 100 events owed to the subscription, with attempts and answers. */
  @Get(':id/deliveries')
  @RequireScopes('requests:read')
  @ApiOkResponse({ type: EventDeliveryListResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  deliveries(@Param('id', uuidParam('id')) id: string) {
    return this.subscriptions.deliveries(id);
  }
}
