import { TICKET_TTL_MS, WsTicketService } from './ws-ticket.service.js';
import type { Principal } from './principal.js';

const admin: Principal = { name: 'admin', method: 'basic' };

describe('WsTicketService', () => {
  let sut: WsTicketService;

  beforeEach(() => {
    vi.useFakeTimers();
    sut = new WsTicketService();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('redeems a fresh ticket once, for the principal that asked for it', () => {
    const { ticket, expires_in } = sut.issue(admin);

    const first = sut.redeem(ticket);
    const second = sut.redeem(ticket);

    expect(expires_in).toBe(TICKET_TTL_MS / 1000);
    expect(first).toEqual({ name: 'admin', method: 'ticket' });
    expect(second).toBeUndefined();
  });

  it('refuses an expired ticket', () => {
    const { ticket } = sut.issue(admin);

    vi.advanceTimersByTime(TICKET_TTL_MS);

    expect(sut.redeem(ticket)).toBeUndefined();
  });

  it.each(['', 'nope', 'a'.repeat(43)])('refuses the unknown ticket %j', (ticket) => {
    sut.issue(admin);

    expect(sut.redeem(ticket)).toBeUndefined();
  });

  it('issues a different ticket every time', () => {
    const tickets = new Set(Array.from({ length: 100 }, () => sut.issue(admin).ticket));

    expect(tickets.size).toBe(100);
  });
});
