import { get, type ServiceStatus } from '../api.ts';
import { formatDuration, usePoll, type PageProps } from '../hooks.ts';

export function ServicesPage(_props: PageProps) {
  const { data, error } = usePoll(() => get<{ services: ServiceStatus[] }>('/api/system/services'), 5_000);
  const services = data?.services ?? [];
  const up = services.filter((service) => service.up).length;
  return (
    <section>
      <h2>Services</h2>
      {error && <p class="error">{error}</p>}
      {data && (
        <p data-testid="services-summary" class={up === services.length ? 'ok' : 'bad'}>
          {up} of {services.length} up
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>service</th>
            <th>status</th>
            <th>version</th>
            <th>instance</th>
            <th>pid</th>
            <th>uptime</th>
            <th>url</th>
          </tr>
        </thead>
        <tbody>
          {services.map((service) => (
            <tr key={`${service.name} ${service.url}`} data-testid={`service-row-${service.name}`}>
              <td>{service.name}</td>
              <td>
                <span class={`badge ${service.up ? 'up' : 'down'}`} data-testid={`service-status-${service.name}`} title={service.error ?? ''}>
                  {service.up ? 'up' : 'down'}
                </span>
                {service.error && <span class="muted small"> {service.error}</span>}
              </td>
              <td>{service.version ?? '–'}</td>
              <td class="mono small">{service.instance ?? '–'}</td>
              <td>{service.pid ?? '–'}</td>
              <td>{formatDuration(service.uptimeSeconds)}</td>
              <td class="mono small">{service.url}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
