//! Message orders: record indices in display order, the record order itself stored as its length.

use std::ops::Range;
use std::sync::Arc;

use super::MessageSort;

/// Record indices in one order. An order that is the records' own (the queue order, and the
/// header pass' sender order, where no sender is known yet) is kept as its length: at a million
/// messages each such order, and a message list showing one unfiltered, would be 4 MB of
/// `0..n`. Cloning shares the indices.
#[derive(Debug, Clone)]
pub enum Order {
    /// `0..n`.
    Records(u32),
    /// Any other order.
    Indices(Arc<Vec<u32>>),
}

impl Default for Order {
    fn default() -> Self {
        Order::Records(0)
    }
}

impl Order {
    /// `indices` as an order: stored as a length when they are `0..n`.
    pub fn of(indices: Vec<u32>) -> Order {
        let own = indices.iter().enumerate().all(|(n, &i)| n == i as usize);
        match u32::try_from(indices.len()) {
            Ok(n) if own => Order::Records(n),
            _ => Order::Indices(Arc::new(indices)),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Order::Records(n) => *n as usize,
            Order::Indices(v) => v.len(),
        }
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record index at row `row`.
    pub fn get(&self, row: usize) -> Option<u32> {
        match self {
            Order::Records(n) => u32::try_from(row).ok().filter(|r| r < n),
            Order::Indices(v) => v.get(row).copied(),
        }
    }

    /// The record indices of rows `rows` (clamped to the rows there are).
    pub fn window(&self, rows: Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let end = rows.end.min(self.len());
        let start = rows.start.min(end);
        let (listed, own) = match self {
            Order::Records(_) => (&[][..], start as u32..end as u32),
            Order::Indices(v) => (&v[start..end], 0..0),
        };
        listed.iter().copied().chain(own)
    }

    /// Every record index, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.window(0..self.len())
    }
}

/// Every record index in each [`MessageSort`] order, computed once per snapshot by the worker so
/// the UI thread never sorts a large list.
#[derive(Debug, Clone, Default)]
pub struct Orders {
    /// Indexed by [`MessageSort::index`].
    pub by: [Order; 4],
}

impl Orders {
    /// All record indices in `sort` order.
    pub fn get(&self, sort: MessageSort) -> &Order {
        &self.by[sort.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_own_order_is_kept_as_its_length() {
        let own = Order::of(vec![0, 1, 2, 3]);
        assert!(matches!(own, Order::Records(4)));
        let other = Order::of(vec![2, 0, 1, 3]);
        assert!(matches!(other, Order::Indices(_)));
        for (o, want) in [(&own, [0, 1, 2, 3]), (&other, [2, 0, 1, 3])] {
            assert_eq!(o.len(), 4);
            assert_eq!(o.iter().collect::<Vec<_>>(), want);
            assert_eq!(o.window(1..3).collect::<Vec<_>>(), want[1..3]);
            assert_eq!(o.window(3..9).collect::<Vec<_>>(), want[3..]);
            assert_eq!(o.window(7..9).count(), 0);
            assert_eq!(o.get(2), Some(want[2]));
            assert_eq!(o.get(4), None);
        }
        assert!(Order::of(Vec::new()).is_empty());
    }
}
