import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01 admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash shutdown', pgError('57P02')],
    ['57P03 shutting down', pgError('57P03', 'the database system is shutting down')],
    ['08006 connection failure', pgError('08006')],
    ['08001 cannot establish', pgError('08001')],
    ['ECONNREFUSED', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', pgError('ECONNRESET', 'read ECONNRESET')],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool acquire timeout', new Error('timeout exceeded when trying to connect')],
    ['a released query runner', new QueryRunnerAlreadyReleasedError()],
    [
      "TypeORM's released connection",
      new Error('Database connection provided by a query runner was already released'),
    ],
    [
      'a driver error wrapped by TypeORM',
      new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection')),
    ],
    ['an AggregateError of refused attempts', new AggregateError([pgError('ECONNREFUSED')], '')],
  ])('says yes for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', pgError('42601')],
    ['a serialization failure', pgError('40001')],
    ['a wrapped constraint failure', new QueryFailedError('INSERT', [], pgError('23503'))],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('says no for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
