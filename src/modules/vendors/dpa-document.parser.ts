import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DPA_DOCUMENT_TYPES } from './registry.types';

/** The one route that takes a raw file body. */
export const DPA_DOCUMENT_ROUTE = '/v1/dpas/:id/document';
/** The one route that takes a form: a DPA version with its document. */
export const DPA_CREATE_ROUTE = '/v1/vendors/:id/dpas';
const FORM_TYPE = 'multipart/form-data';

/**
 * The API takes JSON only; the signed agreement is uploaded as the raw file (PUT /v1/dpas/{id}/document),
 * or in a multipart form with the fields of a new version (POST /v1/vendors/{id}/dpas). The parser hands
 * the body over as a stream (not buffered by Fastify, whose route limit is the API's 2 MB), and the vendors
 * module reads it with the document limit. Any other route sent these types answers 415, as for every
 * non-JSON body.
 */
@Injectable()
export class DpaDocumentParser implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as { getInstance(): FastifyInstance } | undefined;
    if (!adapter) return; // a worker without HTTP
    const fastify = adapter.getInstance();
    const routes: [string, string][] = [
      ...Object.keys(DPA_DOCUMENT_TYPES).map((type): [string, string] => [type, DPA_DOCUMENT_ROUTE]),
      [FORM_TYPE, DPA_CREATE_ROUTE],
    ];
    for (const [type, route] of routes) {
      if (fastify.hasContentTypeParser(type)) continue;
      fastify.addContentTypeParser(type, (request, payload, done) => {
        if (request.routeOptions.url === route && request.method !== 'GET') {
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
