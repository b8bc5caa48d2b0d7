use crate::sim::{Event, ReqId, SimConfig};
use crate::ui::app::{Cbs, Note, Topo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub config: Rc<SimConfig>,
    pub topo: Rc<Topo>,
    pub cbs: Cbs,
    pub note: Note,
    pub last_op: Option<ReqId>,
    pub events: Rc<Vec<Event>>,
}

#[function_component(OperatePanel)]
pub fn operate_panel(_p: &Props) -> Html {
    html! {}
}
