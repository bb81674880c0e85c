package sandbox_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"

	"github.com/custimport/custimport/importer/sandbox"
)

// A sandbox behind a test server, and one edit call that creates a customer with a
// generated card number. The seed makes the generated code and card reproducible.
func Example() {
	sb, err := sandbox.New(sandbox.Config{UserID: "demo", AccountID: "demo", Password: "demo", Seed: 1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(sb)
	defer ts.Close()

	client := ts.Client()
	defer client.CloseIdleConnections()
	resp, err := client.PostForm(ts.URL+"/api.php", url.Values{
		"user_id": {"demo"}, "user_password": {"demo"}, "account_id": {"demo"},
		"type": {"record_customer"}, "customer_action": {"edit"},
		"first_name": {"John"}, "card_number_generate": {"10"},
	})
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	fmt.Println(sb.Stats().Created, "customer created")
	// Output:
	// <response status="success">
	//   <customer status="new">
	//     <code>1011247682919763</code>
	//     <card_number>9609736254</card_number>
	//   </customer>
	// </response>
	// 1 customer created
}
