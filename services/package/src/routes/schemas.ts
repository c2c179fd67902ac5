import { Id, PackageCreated } from '@tributary/contracts';
import { Type } from 'tributary';
import { ErrorBody } from 'tributary/http';

/** The internal HTTP API's shapes; the gateway proxies /api/packages to these. */

export const PackageParams = Type.Object({ id: Id });

/** The stored document (PackageCreated's data) and when it was made. */
export const PackageView = Type.Object({ ...PackageCreated.schema.properties, createdAt: Type.String({ format: 'date-time' }) });

export const Tag = PackageCreated.schema.properties.tags.items;

export const PackagesQuery = Type.Object(
  {
    tag: Tag,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    /** The `next` of the previous page. */
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const PackagePage = Type.Object({ items: Type.Array(PackageView), next: Type.Union([Id, Type.Null()]) });

export { ErrorBody };
