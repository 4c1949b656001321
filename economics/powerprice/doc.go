// Package powerprice fetches the power price the agent advises on: a fixed
// price, a time-of-use schedule, a file or URL serving a current price or a
// series (CSV or JSON), or a command that prints one. Every source states
// its unit; a Chain checks each quote's age and gaps and falls back to the
// next source, the fixed price last, so the agent always has a price and
// says which one it used.
//
// It is the fetcher side of the live advice: nothing here decides what to
// run; economics.Advisor does, from the price this package returns.
package powerprice
