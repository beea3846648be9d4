import { Type, type TSchema } from 'typebox';

/** Schema pieces shared by the resources, mirroring the Svix OpenAPI contract. */

export const SAFE_ID_PATTERN = '^[a-zA-Z0-9\\-_.]+$';

export const Uid = Type.String({ minLength: 1, maxLength: 256, pattern: SAFE_ID_PATTERN, example: 'unique-identifier' });
export const NullableUid = Type.Union([Uid, Type.Null()]);
export const IdOrUid = Type.String({ minLength: 1, maxLength: 256, pattern: SAFE_ID_PATTERN });
export const EventTypeName = Type.String({ minLength: 1, maxLength: 256, pattern: SAFE_ID_PATTERN, example: 'user.signup' });
export const Channel = Type.String({ minLength: 1, maxLength: 128, pattern: SAFE_ID_PATTERN, example: 'project_1337' });
export const Metadata = Type.Record(Type.String(), Type.String({ maxLength: 4096 }), { maxProperties: 64 });
export const DateTime = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Ordering = Type.Union([Type.Literal('ascending'), Type.Literal('descending')], {
  description: 'The sorting order of the returned items',
});

export const MessageStatus = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)], {
  description: 'The sending status of the message: Success = 0, Pending = 1, Fail = 2, Sending = 3',
});
export const MessageStatusText = Type.Union([Type.Literal('success'), Type.Literal('pending'), Type.Literal('fail'), Type.Literal('sending')]);
export const TriggerTypeSchema = Type.Union([Type.Literal(0), Type.Literal(1)], { description: 'Scheduled = 0, Manual = 1' });

export const PaginationQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50, description: 'Limit the number of returned items' })),
  iterator: Type.Optional(Nullable(Type.String({ maxLength: 300, description: 'The iterator returned from a prior invocation' }))),
};

export function ListResponse<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    {
      data: Type.Array(item),
      iterator: Nullable(Type.String()),
      prevIterator: Type.Optional(Nullable(Type.String())),
      done: Type.Boolean(),
    },
    { title: `ListResponse_${name}_` },
  );
}

export const HttpErrorOut = Type.Object({ code: Type.String(), detail: Type.String() }, { title: 'HttpErrorOut' });
export const HttpValidationError = Type.Object(
  {
    detail: Type.Array(Type.Object({ loc: Type.Array(Type.String()), msg: Type.String(), type: Type.String() })),
  },
  { title: 'HTTPValidationError' },
);

/** The error responses every authenticated route can give, as in the Svix contract. */
export const errorResponses = {
  400: HttpErrorOut,
  401: HttpErrorOut,
  403: HttpErrorOut,
  404: HttpErrorOut,
  409: HttpErrorOut,
  412: HttpErrorOut,
  413: HttpErrorOut,
  422: HttpValidationError,
  429: HttpErrorOut,
};

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
});

export const NoContent = Type.Null({ description: 'No content' });

export function iso(date: Date): string {
  return date.toISOString();
}

/** Svix's statusText for a MessageStatus number. */
export const statusTextOf = (status: number) => (['success', 'pending', 'fail', 'sending'] as const)[status]!;
