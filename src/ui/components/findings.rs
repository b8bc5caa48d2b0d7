use crate::sim::checker::Finding;
use crate::sim::TxnId;
use crate::ui::app::Cbs;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub findings: Rc<Vec<Finding>>,
    pub cbs: Cbs,
    pub selected_txn: Option<TxnId>,
}

#[function_component(FindingsPanel)]
pub fn findings_panel(_p: &Props) -> Html {
    html! {}
}
