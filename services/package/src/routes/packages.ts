import type { HttpApp } from 'tributary/http';
import type { PackageContext } from '../handlers/context.ts';
import { findPackage, listPackagesByTag } from '../store/packages-store.ts';
import { ErrorBody, PackagePage, PackageParams, PackagesQuery, PackageView } from './schemas.ts';
import { packageError } from '../errors.ts';

/** Package's internal HTTP API: one package by id, and packages by tag (newest first, paginated). */
export function packagesRoutes(ctx: Pick<PackageContext, 'db'>) {
  return async function plugin(app: HttpApp): Promise<void> {
    app.get(
      '/packages/:id',
      { schema: { params: PackageParams, response: { 200: PackageView, 400: ErrorBody, 404: ErrorBody } } },
      async (request) => {
        const found = await findPackage(ctx.db, request.params.id);
        if (!found) throw packageError('PACKAGE_NOT_FOUND', `no package ${request.params.id}`);
        return found;
      },
    );

    app.get(
      '/packages',
      { schema: { querystring: PackagesQuery, response: { 200: PackagePage, 400: ErrorBody } } },
      async (request) => {
        const { tag, limit = 20, after } = request.query;
        const page = await listPackagesByTag(ctx.db, { tag, limit, after });
        if (page === 'unknown-cursor') throw packageError('INVALID_CURSOR', `after=${String(after)} is not a package`);
        return page;
      },
    );
  };
}
