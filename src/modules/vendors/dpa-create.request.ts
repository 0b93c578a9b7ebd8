import { getSchemaPath } from '@nestjs/swagger';
import type { RequestBodyObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Readable } from 'node:stream';
import { createValidationPipe } from '../../platform/http/problem';
import { readDpaForm, type SentDocument } from './dpa-form';
import { CreateDpaDto } from './dto/dpa.dto';
import { DPA_DOCUMENT_MAX_BYTES } from './registry.types';

/** The body of POST /v1/vendors/{id}/dpas as OpenAPI describes it: JSON fields, or the form with a file. */
export const CREATE_DPA_REQUEST_BODY: RequestBodyObject = {
  required: true,
  content: {
    'application/json': { schema: { $ref: getSchemaPath(CreateDpaDto) } },
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['dpa'],
        properties: {
          dpa: { $ref: getSchemaPath(CreateDpaDto) },
          document: {
            type: 'string',
            format: 'binary',
            description: `The signed agreement: PDF or DOCX, at most ${DPA_DOCUMENT_MAX_BYTES / 1024 / 1024} MB.`,
          },
        },
      },
      encoding: {
        dpa: { contentType: 'application/json' },
        document: {
          contentType:
            'application/pdf, application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        },
      },
    },
  },
};

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function';
}

const validation = createValidationPipe();

/**
 * The version's fields, validated as CreateDpaDto whichever way they came (the route takes two body types,
 * so the global pipe cannot type the body), and the document sent with them, not yet checked.
 */
export async function readCreateDpa(
  body: unknown,
  contentType: string | undefined,
): Promise<{ input: CreateDpaDto; document: SentDocument | null }> {
  const form = isReadable(body) ? await readDpaForm(body, contentType) : { fields: body, document: null };
  const input = (await validation.transform(form.fields, {
    type: 'body',
    metatype: CreateDpaDto,
  })) as CreateDpaDto;
  return { input, document: form.document };
}
