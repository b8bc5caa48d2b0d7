use crate::sim::{DcId, Event, TxnId};
use crate::ui::app::{Cbs, Topo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub events: Rc<Vec<Event>>,
    pub topo: Rc<Topo>,
    pub cbs: Cbs,
    pub selected_dc: Option<DcId>,
    pub selected_txn: Option<TxnId>,
}

#[function_component(LogPanel)]
pub fn log_panel(_p: &Props) -> Html {
    html! {}
}
