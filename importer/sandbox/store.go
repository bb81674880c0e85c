package sandbox

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Customer is one customer record of the simulated account.
type Customer struct {
	// Code is the customer's internal id.
	Code string `json:"code"`
	// CardNumber is the customer's card number; empty when the customer has none.
	CardNumber string `json:"card_number,omitempty"`
	// Fields holds every other field last sent for the customer, by API name
	// (first_name, custom_date, custom_field_3, customer_password, ...). Secrets are
	// kept here as sent; the customers endpoint shows them as [redacted].
	Fields map[string]string `json:"fields,omitempty"`
	// WelcomeEmails counts the e-mails about this new customer that the API would have
	// sent: 1 when it was created without send_no_email, else 0.
	WelcomeEmails int `json:"welcome_emails"`
	// Balance is the sum of the numeric auto_add amounts sent for the customer.
	Balance float64 `json:"balance"`
	// Products are the non-numeric auto_add values (products or services), in order.
	Products []string `json:"products,omitempty"`
	// Edits counts the calls that updated this customer after its creation.
	Edits int `json:"edits"`
	// Created and Updated are when the customer was created and last changed.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// clone returns a deep copy of c.
func (c *Customer) clone() Customer {
	out := *c
	if c.Fields != nil {
		out.Fields = make(map[string]string, len(c.Fields))
		for k, v := range c.Fields {
			out.Fields[k] = v
		}
	}
	out.Products = slices.Clone(c.Products)
	return out
}

// request is one edit call, read and checked, ready to apply.
type request struct {
	code        string
	card        string
	generate    int // digits of a card number to generate; 0 for none
	fields      []fieldValue
	sendNoEmail bool
	autoAdd     string
}

type fieldValue struct{ name, value string }

// result is what an applied edit call answers.
type result struct {
	status string // "new" or "update"
	code   string
	card   string // the card number to answer with, when there is one to answer
}

// store is the account's customers. It is not safe for concurrent use: the Server's
// mutex guards it.
type store struct {
	byCode map[string]*Customer
	// byCard lists the customers holding each card number. The sandbox never gives one
	// card to two customers, but a data file may (real accounts do), and rule 5 says
	// what happens then.
	byCard map[string][]*Customer
	order  []*Customer // in creation order
	rng    *rand.Rand
}

func newStore(rng *rand.Rand) *store {
	return &store{byCode: map[string]*Customer{}, byCard: map[string][]*Customer{}, rng: rng}
}

// add puts a customer into the store, as loaded from a data file.
func (st *store) add(c *Customer) error {
	if c.Code == "" {
		return fmt.Errorf("customer %d: empty code", len(st.order)+1)
	}
	if _, dup := st.byCode[c.Code]; dup {
		return fmt.Errorf("customer %d: code %s given twice", len(st.order)+1, c.Code)
	}
	st.byCode[c.Code] = c
	if c.CardNumber != "" {
		st.byCard[c.CardNumber] = append(st.byCard[c.CardNumber], c)
	}
	st.order = append(st.order, c)
	return nil
}

// apply runs one edit call against the store: it finds the customer as rules 1, 2, 3
// and 5 say, checks that the call can be applied in full, and only then changes
// anything. A returned error is the API's error message; the store is unchanged.
func (st *store) apply(req *request, now time.Time) (result, error) {
	var target *Customer
	newCode := ""
	switch {
	case req.code != "":
		// Rules 1 and 3: the code names the customer; an unknown code creates one with it.
		if target = st.byCode[req.code]; target == nil {
			newCode = req.code
		}
	case req.card != "":
		// Rule 5: match the card number against card numbers, then against codes.
		switch m := st.byCard[req.card]; {
		case len(m) > 1:
			return result{}, fmt.Errorf("card number %s matches %d customers; send the code to say which", quote(req.card), len(m))
		case len(m) == 1:
			target = m[0]
		default:
			target = st.byCode[req.card]
		}
	}

	card := req.card
	// A card number the customer already holds is no change, even where a data file
	// gave it to others too.
	if card != "" && (target == nil || target.CardNumber != card) {
		for _, other := range st.byCard[card] {
			if other != target {
				return result{}, fmt.Errorf("card number %s already belongs to another customer", quote(card))
			}
		}
	}
	if req.generate > 0 {
		var err error
		if card, err = st.generateCard(req.generate); err != nil {
			return result{}, err
		}
	}
	if target == nil && newCode == "" {
		newCode = st.generateCode()
	}

	res := result{status: "update"}
	if target == nil {
		target = &Customer{Code: newCode, Created: now}
		if !req.sendNoEmail {
			target.WelcomeEmails = 1
		}
		_ = st.add(target) // the code is fresh: add cannot fail
		res.status = "new"
	} else {
		target.Edits++
	}
	target.Updated = now
	if card != "" && card != target.CardNumber {
		st.setCard(target, card)
	}
	for _, f := range req.fields {
		if target.Fields == nil {
			target.Fields = make(map[string]string, len(req.fields))
		}
		target.Fields[f.name] = f.value
	}
	if req.autoAdd != "" {
		if v, err := strconv.ParseFloat(req.autoAdd, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			target.Balance += v
		} else {
			target.Products = append(target.Products, req.autoAdd)
		}
	}
	res.code = target.Code
	if req.generate > 0 {
		// The document: <card_number> is answered only when card_number_generate was set.
		res.card = card
	}
	return res, nil
}

// setCard gives c the card number card, taking it off the card index under its old one.
func (st *store) setCard(c *Customer, card string) {
	if old := c.CardNumber; old != "" {
		holders := st.byCard[old]
		holders = slices.DeleteFunc(holders, func(h *Customer) bool { return h == c })
		if len(holders) == 0 {
			delete(st.byCard, old)
		} else {
			st.byCard[old] = holders
		}
	}
	c.CardNumber = card
	st.byCard[card] = append(st.byCard[card], c)
}

// generateCode returns a random 16-digit code that no customer has.
func (st *store) generateCode() string {
	for {
		c := st.digits(16)
		if _, taken := st.byCode[c]; !taken {
			return c
		}
	}
}

// generateCard returns a random card number of n digits that no customer holds.
func (st *store) generateCard(n int) (string, error) {
	// Short card numbers run out: give up after enough tries rather than loop forever.
	for range 1000 {
		c := st.digits(n)
		if _, taken := st.byCard[c]; !taken {
			return c, nil
		}
	}
	return "", fmt.Errorf("no unused card number of %d digits could be generated", n)
}

// digits returns n random decimal digits, the first one not 0 (so that a spreadsheet
// reading the number back keeps every digit).
func (st *store) digits(n int) string {
	var b strings.Builder
	b.Grow(n)
	b.WriteByte(byte('1' + st.rng.IntN(9)))
	for i := 1; i < n; i++ {
		b.WriteByte(byte('0' + st.rng.IntN(10)))
	}
	return b.String()
}
