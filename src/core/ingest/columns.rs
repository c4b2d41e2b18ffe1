//! Column roles: which header column holds the customer, the invoice, the date, and so on.

use serde::{Deserialize, Serialize};

/// What a column means to the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CustomerId,
    Invoice,
    Date,
    Quantity,
    Price,
    /// The line total (quantity x price already multiplied), as in CDNOW's `dollar_value`.
    Amount,
    StockCode,
    Description,
    Country,
    /// An order or line status; lines it marks as cancelled or returned are cancellations.
    Status,
    Recency,
    Frequency,
    Monetary,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::CustomerId,
        Role::Invoice,
        Role::Date,
        Role::Quantity,
        Role::Price,
        Role::Amount,
        Role::StockCode,
        Role::Description,
        Role::Country,
        Role::Status,
        Role::Recency,
        Role::Frequency,
        Role::Monetary,
    ];

    /// The name used in messages and in `--map role=column`.
    pub fn name(self) -> &'static str {
        match self {
            Role::CustomerId => "customer_id",
            Role::Invoice => "invoice",
            Role::Date => "date",
            Role::Quantity => "quantity",
            Role::Price => "price",
            Role::Amount => "amount",
            Role::StockCode => "stock_code",
            Role::Description => "description",
            Role::Country => "country",
            Role::Status => "status",
            Role::Recency => "recency",
            Role::Frequency => "frequency",
            Role::Monetary => "monetary",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }

    /// Header names (lower case, letters and digits only) recognised for the role: Online Retail
    /// II, Online Retail I and common export names.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Role::CustomerId => &[
                "customerid",
                "customer",
                "customerno",
                "customernumber",
                "custid",
                "clientid",
                "client",
                "userid",
                "memberid",
                "buyerid",
                "accountid",
            ],
            Role::Invoice => &[
                "invoice",
                "invoiceno",
                "invoicenumber",
                "invoiceid",
                "orderid",
                "order",
                "orderno",
                "ordernumber",
                "transactionid",
                "receiptid",
                "receipt",
                "basketid",
            ],
            Role::Date => &[
                "invoicedate",
                "date",
                "orderdate",
                "transactiondate",
                "purchasedate",
                "datetime",
                "timestamp",
                "createdat",
                "orderdatetime",
            ],
            Role::Quantity => &["quantity", "qty", "units", "quantityordered"],
            Role::Price => &["price", "unitprice", "priceeach", "itemprice", "unitcost"],
            Role::Amount => &[
                "amount",
                "linetotal",
                "totalprice",
                "totalamount",
                "sales",
                "revenue",
                "sale",
                "spend",
                "ordervalue",
            ],
            Role::StockCode => &[
                "stockcode",
                "sku",
                "productid",
                "productcode",
                "itemcode",
                "itemid",
            ],
            Role::Description => &["description", "productname", "itemname", "product"],
            Role::Country => &["country"],
            Role::Status => &[
                "status",
                "orderstatus",
                "linestatus",
                "transactionstatus",
                "transactiontype",
                "financialstatus",
            ],
            Role::Recency => &["recency", "recencydays", "dayssincelastpurchase"],
            Role::Frequency => &["frequency", "ordercount", "numorders"],
            Role::Monetary => &["monetary", "monetaryvalue", "totalspend"],
        }
    }
}

/// The header column chosen for each role, by name. `None` = not in the file (or not detected).
///
/// The UI shows the detected mapping and may send an edited one back in
/// [`super::IngestOptions::mapping`]; roles named there override the detection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub customer_id: Option<String>,
    pub invoice: Option<String>,
    pub date: Option<String>,
    pub quantity: Option<String>,
    pub price: Option<String>,
    pub amount: Option<String>,
    pub stock_code: Option<String>,
    pub description: Option<String>,
    pub country: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    pub recency: Option<String>,
    pub frequency: Option<String>,
    pub monetary: Option<String>,
}

impl ColumnMapping {
    pub fn get(&self, role: Role) -> Option<&str> {
        self.slot(role).as_deref()
    }

    pub fn set(&mut self, role: Role, column: Option<String>) {
        *self.slot_mut(role) = column;
    }

    fn slot(&self, role: Role) -> &Option<String> {
        match role {
            Role::CustomerId => &self.customer_id,
            Role::Invoice => &self.invoice,
            Role::Date => &self.date,
            Role::Quantity => &self.quantity,
            Role::Price => &self.price,
            Role::Amount => &self.amount,
            Role::StockCode => &self.stock_code,
            Role::Description => &self.description,
            Role::Country => &self.country,
            Role::Status => &self.status,
            Role::Recency => &self.recency,
            Role::Frequency => &self.frequency,
            Role::Monetary => &self.monetary,
        }
    }

    fn slot_mut(&mut self, role: Role) -> &mut Option<String> {
        match role {
            Role::CustomerId => &mut self.customer_id,
            Role::Invoice => &mut self.invoice,
            Role::Date => &mut self.date,
            Role::Quantity => &mut self.quantity,
            Role::Price => &mut self.price,
            Role::Amount => &mut self.amount,
            Role::StockCode => &mut self.stock_code,
            Role::Description => &mut self.description,
            Role::Country => &mut self.country,
            Role::Status => &mut self.status,
            Role::Recency => &mut self.recency,
            Role::Frequency => &mut self.frequency,
            Role::Monetary => &mut self.monetary,
        }
    }

    /// Detects roles from header names; each column gets at most one role.
    pub fn detect(header: &[String]) -> ColumnMapping {
        let normalised: Vec<String> = header.iter().map(|name| normalise(name)).collect();
        let mut mapping = ColumnMapping::default();
        let mut taken = vec![false; header.len()];
        for role in Role::ALL {
            // Earlier synonyms are stronger: "invoicedate" must win the date role before "date".
            let found = role.synonyms().iter().find_map(|synonym| {
                (0..header.len()).find(|&column| !taken[column] && normalised[column] == *synonym)
            });
            if let Some(column) = found {
                taken[column] = true;
                mapping.set(role, Some(header[column].clone()));
            }
        }
        mapping
    }

    /// This mapping with every role that `overrides` names replaced.
    pub fn overridden_by(mut self, overrides: &ColumnMapping) -> ColumnMapping {
        for role in Role::ALL {
            if let Some(column) = overrides.get(role) {
                self.set(role, Some(column.to_owned()));
            }
        }
        self
    }
}

/// Lower case, letters and digits only: `Customer ID`, `customer_id` and `CustomerID` all match.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Finds a named column in the header: exact name first, then ignoring case and blanks.
pub fn find_column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|column| column == name).or_else(|| {
        let wanted = name.trim();
        header
            .iter()
            .position(|column| column.trim().eq_ignore_ascii_case(wanted))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &str) -> Vec<String> {
        names.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn online_retail_two_and_one_headers_are_recognised() {
        let two = ColumnMapping::detect(&header(
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country",
        ));
        assert_eq!(two.customer_id.as_deref(), Some("Customer ID"));
        assert_eq!(two.invoice.as_deref(), Some("Invoice"));
        assert_eq!(two.date.as_deref(), Some("InvoiceDate"));
        assert_eq!(two.price.as_deref(), Some("Price"));
        let one = ColumnMapping::detect(&header(
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
        ));
        assert_eq!(one.invoice.as_deref(), Some("InvoiceNo"));
        assert_eq!(one.price.as_deref(), Some("UnitPrice"));
        assert_eq!(one.customer_id.as_deref(), Some("CustomerID"));
    }

    #[test]
    fn synonyms_and_overrides() {
        let detected =
            ColumnMapping::detect(&header("customer_id,date,number_of_cds,dollar_value"));
        assert_eq!(detected.customer_id.as_deref(), Some("customer_id"));
        assert_eq!(detected.date.as_deref(), Some("date"));
        assert_eq!(detected.amount, None);
        let mut overrides = ColumnMapping::default();
        overrides.set(Role::Amount, Some("dollar_value".into()));
        assert_eq!(
            detected.overridden_by(&overrides).amount.as_deref(),
            Some("dollar_value")
        );
        let orders = ColumnMapping::detect(&header("order_id,customer,order_date,amount"));
        assert_eq!(orders.invoice.as_deref(), Some("order_id"));
        assert_eq!(orders.date.as_deref(), Some("order_date"));
        assert_eq!(orders.amount.as_deref(), Some("amount"));
    }
}
