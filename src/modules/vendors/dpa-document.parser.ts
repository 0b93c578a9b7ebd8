import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DPA_DOCUMENT_TYPES } from './registry.types';

/** The one route that takes a raw file body. */
export const DPA_DOCUMENT_ROUTE = '/v1/dpas/:id/document';

/**
 * The API takes JSON only; the signed agreement is uploaded as the raw file. The parser hands the body
 * over as a stream (not buffered by Fastify, whose route limit is the API's 2 MB), and DpaService reads it
 * with the document limit. Any other route sent these types answers 415, as for every non-JSON body.
 */
@Injectable()
export class DpaDocumentParser implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as { getInstance(): FastifyInstance } | undefined;
    if (!adapter) return; // a worker without HTTP
    const fastify = adapter.getInstance();
    for (const type of Object.keys(DPA_DOCUMENT_TYPES)) {
      if (fastify.hasContentTypeParser(type)) continue;
      fastify.addContentTypeParser(type, (request, payload, done) => {
        if (request.routeOptions.url === DPA_DOCUMENT_ROUTE) {
          done(null, payload);
          return;
        }
        done(
          Object.assign(new Error(`Unsupported Media Type: ${type}`), {
            statusCode: 415,
            code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
          }),
          undefined,
        );
      });
    }
  }
}
