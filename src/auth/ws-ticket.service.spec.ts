import { MAX_TICKETS_PER_PRINCIPAL, TICKET_TTL_MS, WsTicketService } from './ws-ticket.service.js';
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

  it('refuses more unused tickets for one principal, without touching anyone else', () => {
    const alice: Principal = { name: 'alice', method: 'basic' };
    const theirs = sut.issue(alice).ticket;
    for (let i = 0; i < MAX_TICKETS_PER_PRINCIPAL; i++) {
      sut.issue(admin);
    }

    expect(() => sut.issue(admin)).toThrow(expect.objectContaining({ status: 429 }));
    expect(sut.redeem(theirs)).toEqual({ name: 'alice', method: 'ticket' });
  });

  it('lets a principal have tickets again once its old ones expire or are used', () => {
    const first = sut.issue(admin).ticket;
    for (let i = 1; i < MAX_TICKETS_PER_PRINCIPAL; i++) {
      sut.issue(admin);
    }

    sut.redeem(first);
    const afterUse = sut.issue(admin);
    vi.advanceTimersByTime(TICKET_TTL_MS);
    const afterExpiry = sut.issue(admin);

    expect(afterUse.ticket).not.toBe(afterExpiry.ticket);
  });
});
