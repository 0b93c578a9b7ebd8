import { randomUUID } from 'node:crypto';

/**
 * Small HTTP helpers shared by the HubSpot simulator's handlers: a thrown error that carries HubSpot's
 * error body, body builders for HubSpot's error shapes, and narrowing helpers for untyped JSON input.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export interface SimResponse {
  status: number;
  /** Omitted for 204 / redirects. Serialised as JSON with `Content-Type: application/json;charset=utf-8`. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A HubSpot error response; thrown by handlers, turned into a JSON reply by the server. */
export class HubSpotHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : `HubSpot error ${status}`);
  }
}

export const correlationId = (): string => randomUUID();

/** HubSpot's standard error body (`status`, `message`, `correlationId`, `category`, optional extras). */
export function errorBody(
  category: string,
  message: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { status: 'error', message, correlationId: correlationId(), category, ...extra };
}

export const validationError = (message: string, extra: Record<string, unknown> = {}) =>
  new HubSpotHttpError(400, errorBody('VALIDATION_ERROR', message, extra));

export const notFound = (message = 'resource not found') =>
  new HubSpotHttpError(404, errorBody('OBJECT_NOT_FOUND', message));

export const conflict = (message: string) => new HubSpotHttpError(409, errorBody('CONFLICT', message));

// ---- narrowing helpers for parsed JSON (the simulator never trusts its input) ----

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw validationError(`Invalid input JSON: ${what} must be an object`);
  return value;
}

export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw validationError(`Invalid input JSON: ${what} must be an array`);
  return value as unknown[];
}

export function optString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function reqString(value: unknown, what: string): string {
  const s = optString(value);
  if (s === undefined || s === '') throw validationError(`${what} is required`);
  return s;
}

export function optNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/** Property values arrive as strings, numbers or booleans; HubSpot stores and returns strings. */
export function propertyValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
