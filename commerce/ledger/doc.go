// Package ledger owns stored value: a double-entry ledger of accounts and transactions,
// gift cards and customer wallets (store credit), and the check that proves the ledger
// balances.
//
// Accounts are named "<kind>:<id>". Customer accounts hold what the shop owes a customer:
// "wallet:<user ID>" (store credit) and "gift_card:<card ID>"; their balance never goes
// negative. The shop's own accounts are per currency and may go either way:
//
//	shop:gift_cards_issued:<CUR>    counter entry of every gift card issued (minus what is outstanding)
//	shop:store_credit_issued:<CUR>  counter entry of staff credits and debits of wallets
//	shop:sales_clearing:<CUR>       stored value spent on payments (plus), given back by refunds (minus)
//
// Every transaction's entries sum to zero per currency, so the sum of every balance of a
// currency is zero too. Amounts are signed integer minor units; an account holds one
// currency. A balance row is written in the same atomic update as the transaction that moves
// it, so recomputing every account from the entries must give the stored balances: Checker.
package ledger
