import { maskEmail, maskPhone } from './identifier-mask';

describe(maskPhone.name, () => {
  it('shows the country calling code and the last three digits only', () => {
    expect(maskPhone('+4915112345789')).toBe('+49 ••• ••• 789');
  });

  it('does not contain the national digits', () => {
    expect(maskPhone('+16505551234')).not.toContain('555');
  });
});

describe(maskEmail.name, () => {
  it('shows the first character and the domain only', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j•••@example.com');
  });

  it('masks a value without a local part entirely', () => {
    expect(maskEmail('@example.com')).toBe('•••');
  });
});
